"""Report forms, campaigns, rounds and responses (models arrive with the forms work)."""
