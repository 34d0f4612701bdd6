"""Shop operations. Views, admin, API and tasks call these; they never repeat their logic."""
