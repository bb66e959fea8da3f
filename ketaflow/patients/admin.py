"""Patient data is deliberately not in the Django admin: every read of a chart must be audited, and the chart
pages and services do that. Use the Patients pages."""
