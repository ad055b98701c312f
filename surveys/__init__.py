"""Report forms, campaigns, rounds, responses, aggregation and export."""
