"""Version of the monitoring rules engine, stored with every evaluation so a result can be reproduced."""

VERSION = "monitoring-1.0.0"
