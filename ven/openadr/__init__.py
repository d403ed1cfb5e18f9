"""The OpenADR 2.0b protocol edge: everything that touches openleadr lives here."""
