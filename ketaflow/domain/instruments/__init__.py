"""Pure instruments core: no Django imports."""
