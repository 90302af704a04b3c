"""Test doubles the tests and the lessons share: nothing here is needed to run the course."""
