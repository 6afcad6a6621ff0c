"""Gemini adapter: google-genai on one side, core ports on the other."""
