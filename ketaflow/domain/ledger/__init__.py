"""Pure ledger core: no Django imports."""
