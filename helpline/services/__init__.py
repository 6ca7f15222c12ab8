"""What carries the domain's decisions out, through the store and infra, with explicit parts."""
