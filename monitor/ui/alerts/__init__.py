"""The alert banner, its controller (an adapter over the app layer's recorder), history and
sounds."""
