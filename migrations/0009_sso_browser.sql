-- 0009 single sign-on from the OAuth2 authorize page: the browser itself comes back to /auth/sso/callback.
-- redirect_uri: the one sent to the provider (the token exchange must repeat it).
-- browser_binding: SHA-256 of a random value set as an HttpOnly cookie when the browser started the sign-in;
-- the callback completes only with that cookie, so a code and state sent to someone else's browser cannot sign
-- that browser in (login CSRF). NULL for sign-ins started through the API, which complete through the API.
ALTER TABLE sso_states ADD COLUMN redirect_uri TEXT;
ALTER TABLE sso_states ADD COLUMN browser_binding BLOB;
