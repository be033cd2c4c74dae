{{ identifier_quality('source') }}
