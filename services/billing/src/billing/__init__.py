"""billing: agreements, billing runs, invoices, payments and MRR for vCIO packages."""
