select true as success, 'x' as description
