# Kept apart from api_support: DRF reads this class while importing its own views module.
from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
