"""What people read: figures (PNG) and pull-request reports."""
