"""Shop pages (/shop/): thin views over orders.services."""
