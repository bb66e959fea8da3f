"""Pure dosing core: no Django imports."""
