"""Mail to the MSP's staff: the weekly digest of each consultant's activities and the overdue notice."""
