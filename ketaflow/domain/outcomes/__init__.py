"""Pure outcomes core: no Django imports."""
