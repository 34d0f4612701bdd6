"""The farmer household's pages (/farmer/): sign-in with mobile + PIN, deliveries, money, rewards,
notifications and the member card. Penalty and charter pages live in quality (they link here)."""
