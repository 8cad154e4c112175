//! Date and time helpers that compiled `user_time` parsers call.
