"""Pure screening core: no Django imports."""
