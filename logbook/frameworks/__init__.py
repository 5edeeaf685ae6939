"""Registration frameworks as versioned data, and the requirement engine."""
