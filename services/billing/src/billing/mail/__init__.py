"""Billing's mail: each issued invoice with its PDF, payment receipts, credit notes, overdue-payment reminders and
the renewal notice, written to the service's mail outbox (vcio_shared.mail) in the transaction of their cause."""
