"""Readers' reviews of books, helpful votes, moderation and publishers' press quotes."""
