"""Programme reports: figures by month, branch, postcode district and skill area, with small numbers suppressed."""
