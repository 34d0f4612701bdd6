"""Operations that change the collective's state. Views, admin, API and tasks call these."""
