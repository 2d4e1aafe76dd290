"""The Twilio wire format: SIDs, dates, form parsing, errors, pagination, auth, CORS.

Nothing here knows about the database or the domain; everything else may use it.
"""
