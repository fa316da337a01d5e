-- The study's contact (issue 17): experts see a name beside the email (studies.contact) on
-- every page and in every email. A study needs a contact email before its first round opens.

ALTER TABLE studies ADD COLUMN contact_name TEXT NOT NULL DEFAULT '' CHECK (length(contact_name) <= 200);
