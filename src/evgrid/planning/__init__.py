"""Planning: index model, hosting-capacity search, scenarios, incentives, upgrades."""
