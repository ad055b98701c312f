// Report forms: autosave as the secretary types (see templates/surveys/responses).
