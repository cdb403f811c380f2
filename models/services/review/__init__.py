"""Report review (报表审核): marking reports and the review queue."""
