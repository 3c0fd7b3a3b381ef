-- Reserved for work in progress: replace this statement with the step's schema.
SELECT 1;
