"""QuotaLab's simulation: the sales-team model, its runner and its tooling."""
