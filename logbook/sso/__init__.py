"""Single sign-on with OpenID Connect: per-organisation provider settings and the sign-in flow."""
