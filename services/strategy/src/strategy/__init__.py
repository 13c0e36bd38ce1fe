"""vcio strategy: standards, assessments, initiatives and roadmaps."""
