"""ReleaseEvaluator: TFX's Evaluator reading ReleaseBaseline's 'no release yet' as no baseline."""
