"""The buyer's side: invoices other businesses certify with NRS and NRS delivers to this one (pulled, acknowledged,
accepted or disputed), and the delivery of this business's own B2B/B2G invoices to their buyers."""
