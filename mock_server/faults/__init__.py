"""Injected faults and the rate limiter: what a fault is, the queue of faults to come, how a broken
response is sent.
"""
