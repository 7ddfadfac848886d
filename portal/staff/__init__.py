"""Staff work that spans the domains: the overview of waiting work, and administering accounts."""
