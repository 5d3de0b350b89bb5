DROP TABLE form_answers;
