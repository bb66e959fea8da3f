"""Pure pk core: no Django imports."""
