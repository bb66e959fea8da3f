"""Pure scheduling core: no Django imports."""
