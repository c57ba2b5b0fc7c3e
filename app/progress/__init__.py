"""The learner's own record: their page, attestations of validated blocs, personal data."""
