"""Console pages of artifacts (`/<team>/<project>/artifacts/…`) and of the team registry (`/teams/<team>/registry/…`)."""
