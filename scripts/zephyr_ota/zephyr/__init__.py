"""zephyr"""
