"""Full-int8 conversion, int8 evaluation and target budget checks."""
