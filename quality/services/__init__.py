"""Operations of the quality app. Views, admin actions, API views and Celery tasks call these."""
