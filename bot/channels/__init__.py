"""bot/channels"""
