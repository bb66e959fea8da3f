"""Version of the PK/PD engine, stored with every persisted prediction so that it can be reproduced."""

ENGINE_VERSION = "pk-1.0.0"
