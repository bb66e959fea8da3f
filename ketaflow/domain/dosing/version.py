"""Version of the dosing engine, stored with every order so a number on screen can be reproduced."""

VERSION = "dosing-1.0.0"
