"""Who is asking: principals from API keys and sessions, hashed secrets, login, sign-in links, CSRF."""
